import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

/** Bodies of actions that only name who acts (e.g. cancel); an empty body is fine. */
export class OperatorDto {
  @ApiPropertyOptional({ example: 'admin' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  operator?: string;
}
