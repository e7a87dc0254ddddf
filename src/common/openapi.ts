import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { version } from '../../package.json';

/** Swagger UI at /docs and the OpenAPI document at /openapi.json, built from the controllers' decorators. */
export function serveOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Job Events Service')
      .setDescription(
        // Markdown (Swagger UI renders it): code spans keep `<id>` from being read as an HTML tag.
        'Runs media-pipeline jobs through nine stages with human-in-the-loop gates; every transition is an event ' +
          '(SQLite, `runs/<id>/events.jsonl`, console, SSE, polling). Errors are `{"statusCode", "detail"}`.',
      )
      .setVersion(version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
