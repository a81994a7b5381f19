import type { ProfileFieldDefinition } from '../users/profile-fields/profile-field-settings';
import { checkProfileData, ProfileProblem, REQUIRED } from '../users/profile-fields/profile-values';
import type { ProfileData, ProfileDataChanges } from '../users/profile-data';
import type { FieldErrors } from './forms';

export interface ProfileFormResult {
  /** Checked and normalised, ready for the services (which check them again). */
  changes: ProfileDataChanges;
  /** By input name (`data.<key>`), as the API names the fields. */
  errors: FieldErrors;
  /** What was sent, by input name, to put back into the form. */
  typed: Record<string, string>;
}

/** A profile field as the form partial draws it. */
export interface ProfileInput {
  name: string;
  label: string;
  kind: ProfileFieldDefinition['type'];
  /** The <input> type, for the kinds drawn as an <input>. */
  inputType?: string;
  value: string;
  checked: boolean;
  required: boolean;
  hint?: string;
  error?: string;
  step?: string;
  min?: string;
  max?: string;
  maxLength?: string;
  options?: Array<{ value: string; selected: boolean }>;
}

const INPUT_TYPES: Record<ProfileFieldDefinition['type'], string | undefined> = {
  text: 'text',
  integer: 'number',
  number: 'number',
  boolean: 'checkbox',
  date: 'date',
  email: 'email',
  url: 'url',
  select: undefined,
};

const WHOLE_NUMBER = /^[+-]?\d+$/;
const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Each field's input is named after its key in `data`. */
export const inputName = (key: string) => `data.${key}`;

/**
 * Reads the profile fields of an HTML form. Forms send only strings, so each is first turned into
 * its field's type (a checkbox's absence is false), then checked exactly as the API checks JSON.
 * At registration empty fields count as absent; in the settings an emptied field removes its
 * value, and a field the form did not send at all stays as it is.
 */
export function readProfileForm(
  definitions: readonly ProfileFieldDefinition[],
  body: unknown,
  mode: 'register' | 'update',
): ProfileFormResult {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const input: Record<string, unknown> = {};
  const typed: Record<string, string> = {};
  for (const definition of definitions) {
    const name = inputName(definition.key);
    const sent = Object.hasOwn(source, name) ? source[name] : undefined;
    // A field sent twice arrives as an array: it counts as nothing typed.
    const text = typeof sent === 'string' ? sent : '';
    if (definition.type === 'boolean') {
      const value = ['', 'true', 'on'].includes(text) ? text !== '' : text;
      input[definition.key] = value;
      typed[name] = value === true ? 'true' : '';
      continue;
    }
    if (sent === undefined) continue;
    typed[name] = text;
    if (text.trim() === '') {
      if (mode === 'update') input[definition.key] = null;
      continue;
    }
    input[definition.key] = fromFormText(definition, text.trim());
  }
  const { changes, problems } = checkProfileData(definitions, input, mode);
  const errors = Object.fromEntries(problems.map((problem) => [problem.field, message(problem)]));
  return { changes, errors, typed };
}

/** A number when the text is one, else the text, which the checks then refuse for its type. */
function fromFormText(definition: ProfileFieldDefinition, text: string): unknown {
  if (definition.type === 'integer' && WHOLE_NUMBER.test(text)) return Number(text);
  if (definition.type === 'number' && DECIMAL_NUMBER.test(text)) return Number(text);
  return text;
}

function message({ definition, reason }: ProfileProblem): string {
  if (reason === REQUIRED) return 'Please fill in this field.';
  return `${definition?.label ?? 'This field'} ${reason}.`;
}

/** Stored values as the form shows them. */
export function profileFormValues(data: ProfileData): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      inputName(key),
      typeof value === 'boolean' ? (value ? 'true' : '') : String(value),
    ]),
  );
}

/**
 * The inputs of the profile fields, filled with `values` (by input name). `mark` says which fields
 * carry a hint: the optional ones (registration, like its other fields) or the required ones.
 */
export function profileInputs(
  definitions: readonly ProfileFieldDefinition[],
  values: Record<string, string>,
  errors: FieldErrors,
  mark: 'optional' | 'required',
): ProfileInput[] {
  return definitions.map((definition) => {
    const name = inputName(definition.key);
    const value = values[name] ?? '';
    const boolean = definition.type === 'boolean';
    const hinted = !boolean && definition.required === (mark === 'required');
    return {
      name,
      label: definition.label,
      kind: definition.type,
      inputType: INPUT_TYPES[definition.type],
      value,
      checked: boolean && value === 'true',
      // A required checkbox would mean "must be ticked"; here unticked is an answer too.
      required: definition.required && !boolean,
      hint: hinted ? `(${mark})` : undefined,
      error: Object.hasOwn(errors, name) ? errors[name] : undefined,
      ...typeSettings(definition, value),
    };
  });
}

function typeSettings(definition: ProfileFieldDefinition, value: string): Partial<ProfileInput> {
  const bound = (value: number | string | undefined) =>
    value === undefined ? undefined : String(value);
  switch (definition.type) {
    case 'integer':
    case 'number':
      return {
        step: definition.type === 'integer' ? '1' : 'any',
        min: bound(definition.min),
        max: bound(definition.max),
      };
    case 'date':
      return { min: definition.min, max: definition.max };
    case 'text':
    case 'email':
    case 'url':
      return { maxLength: String(definition.maxLength) };
    case 'select':
      return {
        options: definition.options.map((option) => ({
          value: option,
          selected: option === value,
        })),
      };
    default:
      return {};
  }
}
