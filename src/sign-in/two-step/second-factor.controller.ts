import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { Public } from '../../platform/http/public.decorator';
import { toUserView, UserEnvelope } from '../../users/user.view';
import { SignInThrottle } from '../limits/sign-in-throttle';
import { BrowserSessions } from '../sessions/browser-sessions';
import { SESSION_COOKIE_HEADER } from '../sessions/session-cookie';
import { oneSecondFactor, SecondFactorDto } from './dto/two-step.dto';
import { SecondStepCookie } from './second-step-cookie';
import { SecondStepSignIn } from './second-step-sign-in';

@ApiTags('auth')
@Public()
@Controller('auth')
export class SecondFactorController {
  constructor(
    private readonly secondStep: SecondStepSignIn,
    private readonly cookie: SecondStepCookie,
    private readonly sessions: BrowserSessions,
  ) {}

  @Post('second-factor')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({
    summary: 'Finish a sign-in with two-step sign-in: a code, or a recovery code',
    description:
      "After 401 SECOND_FACTOR_REQUIRED (from POST /auth/login, or a provider's callback): the second step's cookie says what was proved. Five wrong codes end the step; wrong codes also count toward the account's limits on attempts.",
  })
  @ApiOkResponse({
    type: UserEnvelope,
    headers: SESSION_COOKIE_HEADER,
    description: 'Signed in, exactly as by POST /auth/login: a session cookie is set.',
  })
  @ApiErrors(
    'WRONG_CODE',
    'SECOND_STEP_EXPIRED',
    'ACCOUNT_DISABLED',
    'TOO_MANY_REQUESTS',
    'SIGN_IN_LOCKED',
  )
  async finish(
    @Body() dto: SecondFactorDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    const answer = oneSecondFactor(dto)!;
    const outcome = await this.secondStep.finish(
      this.cookie.read(request),
      answer,
      this.sessions.signInClient(request),
    );
    const signedIn = this.sessions.signedInOrSecondStep(response, outcome);
    return { user: toUserView(signedIn.user) };
  }
}
