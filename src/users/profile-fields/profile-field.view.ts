import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROFILE_FIELD_TYPES, ProfileFieldType } from './profile-field-settings';

const bound = {
  oneOf: [{ type: 'number' }, { type: 'string', format: 'date' }],
  description:
    'integer and number: the smallest (largest) value; date: the earliest (latest) date.',
};

/** A profile field as PROFILE_FIELDS defines it, with the defaults filled in. */
export class ProfileFieldView {
  @ApiProperty({ example: 'company', description: 'The key of its value in `data`.' })
  key!: string;

  @ApiProperty({ example: 'Company' })
  label!: string;

  @ApiProperty({ enum: PROFILE_FIELD_TYPES, example: 'text' })
  type!: ProfileFieldType;

  @ApiProperty({
    description: 'A value is needed at registration and cannot be removed afterwards.',
  })
  required!: boolean;

  @ApiPropertyOptional({ type: [String], description: 'select only: the allowed values.' })
  options?: string[];

  @ApiPropertyOptional(bound)
  min?: number | string;

  @ApiPropertyOptional(bound)
  max?: number | string;

  @ApiPropertyOptional({
    example: 1000,
    description: 'text, email and url only: the most characters a value may have.',
  })
  maxLength?: number;
}
