import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { JobIdPipe } from '../common/job-id.pipe';
import { OperatorDto } from '../jobs/dto/operator.dto';
import { GateDecisionDto } from './dto/gate-decision.dto';
import { GatesService } from './gates.service';
import { ResumeResult, ResumeService } from './resume.service';

@Controller('jobs/:id')
export class GatesController {
  constructor(
    private readonly gates: GatesService,
    private readonly resumes: ResumeService,
  ) {}

  @Post('approve')
  @HttpCode(200)
  approve(@Param('id', JobIdPipe) jobId: string, @Body() body: GateDecisionDto): { message: string } {
    return this.gates.approve(jobId, body);
  }

  @Post('reject')
  @HttpCode(200)
  reject(@Param('id', JobIdPipe) jobId: string, @Body() body: GateDecisionDto): { message: string } {
    return this.gates.reject(jobId, body);
  }

  @Post('resume')
  @HttpCode(200)
  resume(@Param('id', JobIdPipe) jobId: string, @Body() body: OperatorDto): ResumeResult {
    return this.resumes.resume(jobId, body.operator);
  }

  @Get('gates/status')
  status(@Param('id', JobIdPipe) jobId: string) {
    return this.gates.status(jobId);
  }

  @Get('gates/decisions')
  decisions(@Param('id', JobIdPipe) jobId: string) {
    return this.gates.decisionsOf(jobId);
  }

  @Get('gates/:stage/decision')
  decision(@Param('id', JobIdPipe) jobId: string, @Param('stage') stage: string): unknown {
    return this.gates.decisionFile(jobId, stage);
  }
}
