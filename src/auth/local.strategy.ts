import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { User } from '../users/schemas/user.schema';
import { AuthService } from './auth.service';

/** passport-local over `{ login, password }`; the body is already validated by LocalAuthGuard. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'login', passwordField: 'password', session: false });
  }

  validate(login: string, password: string): Promise<User> {
    return this.auth.verifyCredentials(login, password);
  }
}
