import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AdminToken } from '../config/config.module';
import { OperatorConfig } from '../config/operator-config';
import { ACCEPTS_QUERY_TOKEN, IS_PUBLIC, METRICS_ROUTE } from './auth.decorators';
import { bearerToken, tokensMatch } from './token';

/** Every route needs the admin token (docs/API.md, "Errors") unless marked @Public(). The holder is the operator `admin`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly token: AdminToken,
    private readonly config: OperatorConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (this.config.metrics.public && this.reflector.getAllAndOverride<boolean>(METRICS_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    let given = bearerToken(request.headers.authorization);
    if (given === null && this.reflector.getAllAndOverride<boolean>(ACCEPTS_QUERY_TOKEN, targets)) {
      const fromQuery = request.query.access_token;
      given = typeof fromQuery === 'string' ? fromQuery : null;
    }
    if (given === null) throw new UnauthorizedException('Missing bearer token');
    if (!tokensMatch(given, this.token.value)) throw new UnauthorizedException('Invalid token');
    return true;
  }
}
