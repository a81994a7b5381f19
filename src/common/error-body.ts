import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetail {
  @ApiProperty({ example: 'EMAIL_TAKEN' })
  code!: string;

  @ApiProperty({ example: 'That email is already registered.' })
  message!: string;

  @ApiPropertyOptional({ example: 'email', description: 'The request field the error is about.' })
  field?: string;

  @ApiPropertyOptional({ description: 'Correlation id of the request, for internal errors.' })
  requestId?: string;
}

/** The JSON body of every error response. */
export class ErrorBody {
  @ApiProperty({ type: ErrorDetail })
  error!: ErrorDetail;
}
