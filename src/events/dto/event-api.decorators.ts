import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/dto/api-errors.decorator';
import { EventSchema, PollResponseSchema } from './event.schema';

/** OpenAPI for a controller of event routes: the query every polling and stream route takes. */
export function ApiEventRoutes(): ClassDecorator {
  return applyDecorators(
    ApiTags('events'),
    ApiBearerAuth(),
    ApiErrors(400, 401, 404, 429),
    ApiQuery({ name: 'since', required: false, description: 'An event id (digits) or an ISO 8601 timestamp' }),
    ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' }),
    ApiQuery({ name: 'types', required: false, description: 'Comma list of event types' }),
    ApiQuery({ name: 'stage', required: false }),
  );
}

export function ApiPoll(summary: string): MethodDecorator {
  return applyDecorators(ApiOperation({ summary }), ApiOkResponse({ type: PollResponseSchema }));
}

export function ApiEventStream(summary: string): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiQuery({ name: 'last_event_id', required: false }),
    ApiQuery({ name: 'access_token', required: false }),
    ApiHeader({ name: 'Last-Event-ID', required: false }),
    ApiProduces('text/event-stream'),
    ApiOkResponse({
      description:
        'text/event-stream: id: <event id> + data: <Event JSON>; connected, heartbeat, history_truncated and shutdown frames carry no id',
      type: EventSchema,
    }),
  );
}
