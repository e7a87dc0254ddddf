import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { GatesController } from './gates.controller';
import { GatesService } from './gates.service';
import { PatchService } from './patch.service';
import { PatchesController } from './patches.controller';

@Module({
  imports: [JobsModule],
  controllers: [GatesController, PatchesController],
  providers: [GatesService, PatchService],
})
export class GatesModule {}
