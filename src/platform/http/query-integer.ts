import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/**
 * A whole number from the query string (`?limit=20`), within `min`–`max`. Only digits are turned
 * into a number: anything else (`1e2`, `20abc`, ` 5`, a repeated parameter) fails with a message
 * that names the field.
 */
export const IsQueryInteger = (field: string, min: number, max: number) => {
  const message = `${field} must be a whole number from ${min} to ${max}`;
  return applyDecorators(
    ApiProperty({ type: 'integer', minimum: min, maximum: max }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
    ),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
};
