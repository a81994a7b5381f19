import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { AuthService } from '../../auth.service';
import { SignInRecord } from '../../sign-in-record';

/**
 * passport-local over `{ login, password }`; the body is already validated by LocalAuthGuard. The
 * request's `user` is the SignInRecord, which the controller hands to the door (SignInService).
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'login', passwordField: 'password', session: false });
  }

  validate(login: string, password: string): Promise<SignInRecord> {
    return this.auth.verifyCredentials(login, password);
  }
}
