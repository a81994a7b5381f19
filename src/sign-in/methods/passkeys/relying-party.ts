import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';

/**
 * This service as a WebAuthn relying party: its ID is PUBLIC_URL's host, the origin responses must
 * come from is PUBLIC_URL's origin, and people's authenticators show it as APP_NAME.
 */
@Injectable()
export class RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;

  constructor(config: AppConfig) {
    const url = new URL(config.publicUrl);
    this.id = url.hostname;
    this.origin = url.origin;
    this.name = config.APP_NAME;
  }
}
