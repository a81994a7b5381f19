import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';

/** Where a browser takes the second step (/login/second-factor), and goes on to afterwards. */
@Injectable()
export class SecondStepPage {
  constructor(private readonly config: AppConfig) {}

  /** The page's URL, with `returnTo` (an already checked URL) to go on to once signed in. */
  url(returnTo: string | undefined): string {
    const page = `${this.config.publicUrl}/login/second-factor`;
    return returnTo === undefined ? page : `${page}?returnTo=${encodeURIComponent(returnTo)}`;
  }
}
