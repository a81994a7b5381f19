import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../platform/http/app-error';
import type { ProfileFieldDefinition } from './profile-field-settings';
import { ProfileFieldsConfig, profileFieldsConfig } from './profile-fields-config';
import type { ProfileData, ProfileDataChanges } from '../profile-data';
import { checkProfileData, problemMessage } from './profile-values';

/** The operator's profile fields (PROFILE_FIELDS), and the rules for the values people give them. */
@Injectable()
export class ProfileFields {
  readonly definitions: readonly ProfileFieldDefinition[];

  constructor(@Inject(profileFieldsConfig.KEY) config: ProfileFieldsConfig) {
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
