import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TwoStepConfig, twoStepConfig } from './two-step-config';

const VERSION = 'v1';

/**
 * The TOTP secrets as stored: AES-256-GCM under a key made from TWO_STEP_SECRET, with a random
 * IV each, as `v1.<iv>.<tag>.<ciphertext>` (base64url). Bound to the account (the additional
 * data), so a stored secret copied onto another account does not decrypt there.
 */
@Injectable()
export class TwoStepSecrets {
  private readonly key: Buffer;

  constructor(@Inject(twoStepConfig.KEY) config: TwoStepConfig) {
    this.key = createHash('sha256').update(config.twoStepSecret).digest();
  }

  seal(secret: string, accountId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(accountId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), sealed]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The secret, or undefined when it does not decrypt (another TWO_STEP_SECRET, a hand edit). */
  open(stored: string, accountId: string): string | undefined {
    const [version, iv, tag, sealed] = stored.split('.');
    if (version !== VERSION || sealed === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(accountId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(sealed, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
