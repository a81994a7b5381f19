import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** The token of a link sent by email. */
export class TokenDto {
  @ApiProperty({ description: 'The `token` query parameter of the link in the message.' })
  @IsString({ message: 'token must be a string' })
  @MaxLength(256, { message: 'token is too long' })
  token!: string;
}
