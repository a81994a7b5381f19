import { Transform } from 'class-transformer';
import { IsOptional, IsString } from 'class-validator';
import { configArea, emptyAsUnset } from '../../platform/config/config-area';
import { ProfileFieldDefinition, readProfileFields } from './profile-field-settings';

/** The operator's extra profile fields. */
export class ProfileFieldsConfig {
  /**
   * Extra profile fields, as a JSON array of {key, label, type, required?, options?, min?, max?,
   * maxLength?}; read by readProfileFields() into `profileFields`.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  PROFILE_FIELDS?: string;

  /** The profile fields' definitions, in the order configured, defaults filled in. */
  profileFields: ProfileFieldDefinition[] = [];
}

export const profileFieldsConfig = configArea('profileFields', ProfileFieldsConfig, (config) => {
  const { fields, problems } = readProfileFields(config.PROFILE_FIELDS);
  config.profileFields = fields;
  return problems;
});
