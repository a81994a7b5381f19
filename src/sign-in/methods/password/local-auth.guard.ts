import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { AppValidationPipe } from '../../../platform/http/validation.pipe';
import { LoginDto } from '../../dto/login.dto';

/**
 * Guards run before pipes in Nest, so the sign-in body is validated here, before passport-local
 * reads it: malformed or unexpected input gets the same 400 as everywhere else.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly validation = new AppValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    request.body = (await this.validation.transform(request.body, {
      type: 'body',
      metatype: LoginDto,
    })) as LoginDto;
    return (await super.canActivate(context)) as boolean;
  }
}
