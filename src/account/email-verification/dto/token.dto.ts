import { ApiProperty } from '@nestjs/swagger';
import { IsLinkToken } from '../../../email/link-token';

/** The token of a link sent by email. */
export class TokenDto {
  @ApiProperty({ description: 'The `token` query parameter of the link in the message.' })
  @IsLinkToken()
  token!: string;
}
