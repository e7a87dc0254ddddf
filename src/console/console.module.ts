import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';

/**
 * The operator console: the static files of `public/`, the page itself at `GET /`. Only files that exist
 * are served; every other path outside `/api/v1` stays Nest's JSON 404 (docs/OPERATIONS.md: no HTML fallback).
 */
@Module({
  imports: [
    ServeStaticModule.forRoot({
      rootPath: publicDir(__dirname),
      renderPath: '/',
      serveStaticOptions: { index: false, redirect: false, fallthrough: true },
    }),
  ],
})
export class ConsoleModule {}

/** The nearest `public/` holding the page, above src/console (ts-jest) or dist/src/console (the build). */
export function publicDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'public', 'index.html'))) return join(dir, 'public');
    if (dirname(dir) === dir) throw new Error(`No public/index.html above ${from}`);
  }
}
