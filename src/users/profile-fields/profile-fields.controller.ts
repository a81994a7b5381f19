import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../platform/http/public.decorator';
import { ProfileFieldView } from './profile-field.view';
import { ProfileFields } from './profile-fields.service';

@ApiTags('profile')
@Public()
@Controller('profile-fields')
export class ProfileFieldsController {
  constructor(private readonly fields: ProfileFields) {}

  @Get()
  @ApiOperation({ summary: 'The profile fields of this service' })
  @ApiOkResponse({
    type: [ProfileFieldView],
    description:
      'The profile fields that registration and PATCH /me take in `data`, in their configured order.',
  })
  list(): readonly ProfileFieldView[] {
    return this.fields.definitions;
  }
}
