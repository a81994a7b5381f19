import { ApiProperty } from '@nestjs/swagger';

export class ProviderInfoView {
  @ApiProperty({ example: 'google', description: 'Used in /auth/{key} and /auth/{key}/callback.' })
  key!: string;

  @ApiProperty({ example: 'Google' })
  name!: string;
}
