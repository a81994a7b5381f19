import { Injectable } from '@nestjs/common';
import { AppError } from '../../platform/http/app-error';
import { AppConfig } from '../../platform/config/app-config';
import type { ProfileFieldDefinition } from '../../platform/config/profile-field-settings';
import type { ProfileData, ProfileDataChanges } from '../profile-data';
import { checkProfileData, problemMessage } from './profile-values';

/** The operator's profile fields (PROFILE_FIELDS), and the rules for the values people give them. */
@Injectable()
export class ProfileFields {
  readonly definitions: readonly ProfileFieldDefinition[];

  constructor(config: AppConfig) {
    this.definitions = config.profileFields;
  }

  /** The values of a new account; throws VALIDATION_FAILED naming `data.<key>`. */
  forRegistration(data: unknown): ProfileData {
    return this.checked(data, 'register') as ProfileData;
  }

  /** The changes a profile edit makes (null removes a value); throws like forRegistration. */
  forUpdate(data: unknown): ProfileDataChanges {
    return this.checked(data, 'update');
  }

  private checked(data: unknown, mode: 'register' | 'update'): ProfileDataChanges {
    const { changes, problems } = checkProfileData(this.definitions, data, mode);
    const [first] = problems;
    if (first) throw new AppError('VALIDATION_FAILED', problemMessage(first), first.field);
    return changes;
  }
}
