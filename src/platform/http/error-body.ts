import {
  ApiProperty,
  ApiPropertyOptional,
  getSchemaPath,
  type SchemaObject,
} from '@nestjs/swagger';
import { ErrorCode, ErrorCodes } from './app-error';

export class ErrorDetail {
  @ApiProperty({
    enum: Object.keys(ErrorCodes),
    example: 'EMAIL_TAKEN',
    description: 'What went wrong, for programs; each response lists the codes it can carry.',
  })
  code!: ErrorCode;

  @ApiProperty({ example: 'That email is already registered.', description: 'For people.' })
  message!: string;

  @ApiPropertyOptional({
    example: 'email',
    description:
      'The request field at fault, when there is one (`data.<key>` for a profile value, `cookies.<name>` for a malformed cookie).',
  })
  field?: string;

  @ApiPropertyOptional({
    description: 'Correlation id of the request, for internal errors (500) only.',
  })
  requestId?: string;
}

/** The JSON body of every error response. */
export class ErrorBody {
  @ApiProperty({ type: ErrorDetail })
  error!: ErrorDetail;

  @ApiPropertyOptional({
    type: [String],
    example: ['totp', 'recovery_code'],
    description:
      'With SECOND_FACTOR_REQUIRED only: the second factors that finish the sign-in (POST /auth/second-factor).',
  })
  methods?: string[];
}

/**
 * The schema of an error response that carries one of `codes`: the shared ErrorBody, its code
 * narrowed to those. The second branch of the allOf is where OpenApiDocument reads and extends them.
 */
export function errorResponseSchema(codes: readonly ErrorCode[]): SchemaObject {
  return {
    allOf: [
      { $ref: getSchemaPath(ErrorBody) },
      {
        type: 'object',
        properties: {
          error: { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
        },
      },
    ],
  };
}

/** The codes an error response's schema (built by errorResponseSchema) lists, if it is one. */
export function codesOfErrorSchema(schema: unknown): ErrorCode[] | undefined {
  const narrowing = (schema as { allOf?: unknown[] } | undefined)?.allOf?.[1] as
    { properties?: { error?: { properties?: { code?: { enum?: ErrorCode[] } } } } } | undefined;
  return narrowing?.properties?.error?.properties?.code?.enum;
}
