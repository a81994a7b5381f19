import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsMongoId, IsOptional, Max, Min } from 'class-validator';

export class EventsQueryDto {
  @ApiPropertyOptional({
    example: '6660a1f09b1e8a0012345678',
    description: 'An event `id`: only older events (the next page).',
  })
  @IsOptional()
  @IsMongoId({ message: 'before must be an event id' })
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(100)
  limit?: number;
}
