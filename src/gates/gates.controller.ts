import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { MessageSchema } from '../common/dto/error.schema';
import { JobIdPipe } from '../common/job-id.pipe';
import { OperatorDto } from '../jobs/dto/operator.dto';
import { GateDecisionDto } from './dto/gate-decision.dto';
import { DecisionFileSchema, GateDecisionsSchema, GateStatusSchema, ResumeResultSchema } from './dto/gates.schema';
import { GatesService, ResumeResult } from './gates.service';

@ApiTags('gates')
@ApiBearerAuth()
@ApiErrors(401, 404, 429)
@Controller('jobs/:id')
export class GatesController {
  constructor(private readonly gates: GatesService) {}

  @Post('approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve the waiting gate, or a later gate in advance' })
  @ApiOkResponse({ type: MessageSchema })
  @ApiErrors(400, 409)
  approve(@Param('id', JobIdPipe) jobId: string, @Body() body: GateDecisionDto): Promise<{ message: string }> {
    return this.gates.approve(jobId, body);
  }

  @Post('reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject the waiting gate (the job becomes paused)' })
  @ApiOkResponse({ type: MessageSchema })
  @ApiErrors(400, 409)
  reject(@Param('id', JobIdPipe) jobId: string, @Body() body: GateDecisionDto): Promise<{ message: string }> {
    return this.gates.reject(jobId, body);
  }

  @Post('resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused job' })
  @ApiOkResponse({ type: ResumeResultSchema })
  @ApiErrors(400, 409)
  resume(@Param('id', JobIdPipe) jobId: string, @Body() body: OperatorDto): Promise<ResumeResult> {
    return this.gates.resume(jobId, body.operator);
  }

  @Get('gates/status')
  @ApiOkResponse({ type: GateStatusSchema })
  status(@Param('id', JobIdPipe) jobId: string) {
    return this.gates.status(jobId);
  }

  @Get('gates/decisions')
  @ApiOkResponse({ type: GateDecisionsSchema })
  decisions(@Param('id', JobIdPipe) jobId: string) {
    return this.gates.decisionsOf(jobId);
  }

  @Get('gates/:stage/decision')
  @ApiOkResponse({ type: DecisionFileSchema })
  decision(@Param('id', JobIdPipe) jobId: string, @Param('stage') stage: string): Promise<unknown> {
    return this.gates.decisionFile(jobId, stage);
  }
}
