import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { JobIdPipe } from '../common/job-id.pipe';
import { DEFAULT_OPERATOR } from '../jobs/jobs.service';
import { PatchAppliedSchema, PatchTypesSchema } from './dto/gates.schema';
import { GatesService } from './gates.service';
import { PATCH_TYPES } from '../domain/patches/patch-types';

@ApiTags('patches')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller()
export class PatchesController {
  constructor(private readonly gates: GatesService) {}

  @Get('patches/types')
  @ApiOkResponse({ type: PatchTypesSchema })
  types() {
    return { patch_types: PATCH_TYPES };
  }

  /** Applies a patch now, in any job status; the whole body is the patch. */
  @Post('jobs/:id/patches/:stage/apply')
  @HttpCode(200)
  @ApiOperation({ summary: "Apply a patch to the stage's artifact now, in any job status" })
  @ApiBody({
    schema: { type: 'object', additionalProperties: true, example: { type: 'level_adjust', level_change_db: -3 } },
  })
  @ApiQuery({ name: 'operator', required: false })
  @ApiOkResponse({ type: PatchAppliedSchema })
  @ApiErrors(400, 404)
  async apply(
    @Param('id', JobIdPipe) jobId: string,
    @Param('stage') rawStage: string,
    @Body() patch: Record<string, unknown>,
    @Query('operator') operator?: string,
  ) {
    const by = typeof operator === 'string' && operator.length > 0 ? operator.slice(0, 100) : DEFAULT_OPERATOR;
    const { stage, applied } = await this.gates.applyDirect(jobId, rawStage, by, patch);
    return { message: `Patch applied to ${stage} successfully`, path: applied.artifact.path, patch: applied.patch };
  }
}
