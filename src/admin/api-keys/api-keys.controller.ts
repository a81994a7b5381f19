import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AdminAccess, AdminChange } from '../admin-access';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { ApiKeyList, CreatedApiKeyView, toApiKeyView, toCreatedApiKeyView } from './api-key.view';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

/** API keys for other backends, managed by an admin (or a key with the `admin` scope). */
@ApiTags('admin')
@AdminAccess('admin')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @AdminChange()
  @ApiOperation({ summary: 'Create an API key (shown once)' })
  @ApiCreatedResponse({
    type: CreatedApiKeyView,
    description:
      'The key is in `key`, this once; only its hash is stored. Recorded as `api_key.created`.',
  })
  async create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    return toCreatedApiKeyView(await this.apiKeys.create(dto));
  }

  @Get()
  @ApiOperation({ summary: 'List the API keys' })
  @ApiOkResponse({ type: ApiKeyList })
  async list(): Promise<ApiKeyList> {
    return { apiKeys: (await this.apiKeys.list()).map(toApiKeyView) };
  }

  @Delete(':id')
  @AdminChange()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiParam({ name: 'id', description: 'The `id` of a key from GET /admin/api-keys.' })
  @ApiNoContentResponse({
    description:
      'The key is refused from now on (revoking it again changes nothing). Recorded as `api_key.revoked`.',
  })
  @ApiErrors('API_KEY_NOT_FOUND')
  async revoke(@Param('id') id: string): Promise<void> {
    await this.apiKeys.revoke(id);
  }
}
