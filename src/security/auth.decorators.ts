import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'security:isPublic';
export const ACCEPTS_QUERY_TOKEN = 'security:acceptsQueryToken';

/** No token needed (health checks). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Stream routes also take `?access_token=`: a browser's EventSource cannot send headers. */
export const AcceptsQueryToken = () => SetMetadata(ACCEPTS_QUERY_TOKEN, true);

export const METRICS_ROUTE = 'security:metricsRoute';

/** /metrics: public when `metrics.public` is true, else the admin token is needed like anywhere else. */
export const MetricsPublicIfConfigured = () => SetMetadata(METRICS_ROUTE, true);
