import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { Auth, CurrentAuth } from '../authenticated-request';
import { SignInThrottle } from '../limits/sign-in-throttle';
import { RequireRecentSignIn } from '../reauthentication/recent-sign-in.guard';
import { ConfirmTwoStepDto, RecoveryCodesView, TwoStepSetUpView } from './dto/two-step.dto';
import { TwoStepService } from './two-step.service';

/** Two-step sign-in for the signed-in account: each change needs a recent sign-in. */
@ApiTags('account')
@Controller('me/two-step')
export class TwoStepController {
  constructor(private readonly twoStep: TwoStepService) {}

  @Post()
  @HttpCode(200)
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Set up two-step sign-in (pending until confirmed with a code)' })
  @ApiOkResponse({
    type: TwoStepSetUpView,
    description:
      'A new secret, pending: it replaces a pending one. Nothing changes at sign-in until POST /me/two-step/confirm.',
  })
  @ApiErrors('TWO_STEP_ALREADY_ENABLED')
  setUp(@CurrentAuth() { user }: Auth): Promise<TwoStepSetUpView> {
    return this.twoStep.setUp(user);
  }

  @Post('confirm')
  @HttpCode(200)
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Turn two-step sign-in on with a first code from the app' })
  @ApiOkResponse({
    type: RecoveryCodesView,
    description: 'On: signing in now asks for a code. The recovery codes are shown this once.',
  })
  @ApiErrors('WRONG_CODE', 'TWO_STEP_NOT_SET_UP', 'TWO_STEP_ALREADY_ENABLED')
  async confirm(
    @CurrentAuth() { user }: Auth,
    @Body() dto: ConfirmTwoStepDto,
  ): Promise<RecoveryCodesView> {
    return { recoveryCodes: await this.twoStep.confirm(user, dto.code) };
  }

  @Delete()
  @HttpCode(204)
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Turn two-step sign-in off (or drop a pending set-up)' })
  @ApiNoContentResponse({ description: 'Off: signing in asks for no code.' })
  @ApiErrors('TWO_STEP_NOT_ENABLED')
  async turnOff(@CurrentAuth() { user }: Auth): Promise<void> {
    await this.twoStep.turnOff(user);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Make a new set of recovery codes; the old set stops working' })
  @ApiOkResponse({ type: RecoveryCodesView, description: 'The new codes, shown this once.' })
  @ApiErrors('TWO_STEP_NOT_ENABLED')
  async newRecoveryCodes(@CurrentAuth() { user }: Auth): Promise<RecoveryCodesView> {
    return { recoveryCodes: await this.twoStep.newRecoveryCodes(user) };
  }
}
