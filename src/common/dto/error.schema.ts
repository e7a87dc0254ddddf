import { ApiProperty } from '@nestjs/swagger';

/** Every error's body (docs/API.md, "Errors"). */
export class ErrorSchema {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'Job 5fd6f1ae-7999-436a-9ad3-e144264c81d2 not found' }) detail: string;
}

export class MessageSchema {
  @ApiProperty({ example: 'Job canceled successfully' }) message: string;
}
