import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsOptionalNotNull } from '../../../users/user-fields';

/** A 6-digit code from the authenticator app. */
export const TOTP_CODE_PATTERN = /^[0-9]{6}$/;

/** A recovery code as written down: letters and digits, maybe with the dash and spaces. */
export const RECOVERY_CODE_PATTERN = /^[A-Za-z0-9 -]{1,32}$/;

/** The current code of the authenticator app. */
export const IsTotpCode = () =>
  applyDecorators(
    IsString({ message: 'code must be a string' }),
    Matches(TOTP_CODE_PATTERN, {
      message: 'code must be the 6 digits your authenticator app shows',
    }),
  );

export const TOTP_CODE_PROPERTY = {
  type: String,
  pattern: TOTP_CODE_PATTERN.source,
  example: '123456',
  description: 'The 6 digits your authenticator app shows now.',
};

/** Either a code or a recovery code; which one is given is checked by the route. */
export const SecondFactorFields = {
  code: () =>
    applyDecorators(ApiPropertyOptional(TOTP_CODE_PROPERTY), IsOptionalNotNull(), IsTotpCode()),
  recoveryCode: () =>
    applyDecorators(
      ApiPropertyOptional({
        type: String,
        pattern: RECOVERY_CODE_PATTERN.source,
        example: 'abcde-fghjk',
        description: 'One of the recovery codes shown when two-step sign-in was turned on.',
      }),
      IsOptionalNotNull(),
      IsString({ message: 'recoveryCode must be a string' }),
      Matches(RECOVERY_CODE_PATTERN, {
        message: 'recoveryCode must be a recovery code (letters and digits, e.g. abcde-fghjk)',
      }),
    ),
};
