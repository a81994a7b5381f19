import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../admin-access';
import { IsDisplayName } from '../../../users/user-fields';

export class CreateApiKeyDto {
  @ApiProperty({
    example: 'billing-backend',
    description: 'Who holds the key, for the list: 1–100 characters.',
  })
  @IsDisplayName()
  name!: string;

  @ApiProperty({
    enum: API_KEY_SCOPES,
    isArray: true,
    example: ['users:read'],
    minItems: 1,
    maxItems: API_KEY_SCOPES.length * 2,
    description:
      '`users:read` reads users, `users:write` changes them, `admin` may do all an admin may.',
  })
  @IsArray({ message: 'scopes must be an array' })
  @ArrayNotEmpty({ message: 'scopes must name at least one scope' })
  @ArrayMaxSize(API_KEY_SCOPES.length * 2, { message: 'scopes has too many entries' })
  @IsIn(API_KEY_SCOPES, {
    each: true,
    message: `each of scopes must be one of ${API_KEY_SCOPES.join(', ')}`,
  })
  scopes!: ApiKeyScope[];
}
