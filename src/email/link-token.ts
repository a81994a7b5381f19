import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { HasLength } from '../users/user-fields';

export const LINK_TOKEN_MAX_LENGTH = 256;

/** A token from a link sent by email: any string up to 256 characters (unknown ones are INVALID_TOKEN). */
export const IsLinkToken = () =>
  applyDecorators(
    ApiProperty({ type: String, maxLength: LINK_TOKEN_MAX_LENGTH }),
    IsString({ message: 'token must be a string' }),
    HasLength(0, LINK_TOKEN_MAX_LENGTH, 'token is too long'),
  );
