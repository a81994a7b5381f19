import { ApiProperty } from '@nestjs/swagger';
import { AppError } from '../../../platform/http/app-error';
import type { SecondFactorAnswer } from '../second-factor-check';
import { IsTotpCode, SecondFactorFields, TOTP_CODE_PROPERTY } from './second-factor-fields';

export class ConfirmTwoStepDto {
  @ApiProperty(TOTP_CODE_PROPERTY)
  @IsTotpCode()
  code!: string;
}

/** POST /auth/second-factor: a code or a recovery code. */
export class SecondFactorDto {
  @SecondFactorFields.code()
  code?: string;

  @SecondFactorFields.recoveryCode()
  recoveryCode?: string;
}

/** The one second factor a body gives; VALIDATION_FAILED naming `code` for none or both. */
export function oneSecondFactor(
  body: SecondFactorAnswer,
  required = true,
): SecondFactorAnswer | undefined {
  const given = [body.code, body.recoveryCode].filter((value) => value !== undefined).length;
  if (given === 1) return { code: body.code, recoveryCode: body.recoveryCode };
  if (given === 0 && !required) return undefined;
  throw new AppError(
    'VALIDATION_FAILED',
    given === 0 ? 'Give code or recoveryCode.' : 'Give code or recoveryCode, not both.',
    'code',
  );
}

export class TwoStepSetUpView {
  @ApiProperty({
    description:
      'The TOTP secret in base32, to type into an authenticator app; shown this once. Still pending until POST /me/two-step/confirm.',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({
    description: 'The same as an otpauth:// URL (SHA-1, 6 digits, 30 seconds).',
    example: 'otpauth://totp/Accounts:ada%40example.com?issuer=Accounts&secret=…',
  })
  otpauthUrl!: string;

  @ApiProperty({ description: 'The URL as a QR code (SVG) to scan.' })
  qrSvg!: string;
}

export class RecoveryCodesView {
  @ApiProperty({
    type: [String],
    example: ['abcde-fghjk'],
    description: 'Ten single-use recovery codes, shown this once (only their hashes are kept).',
  })
  recoveryCodes!: string[];
}
