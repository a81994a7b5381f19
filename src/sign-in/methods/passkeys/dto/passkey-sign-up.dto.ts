import { PickType } from '@nestjs/swagger';
import { RegisterDto } from '../../../dto/register.dto';

/**
 * The account a passkey sign-up will create (POST /auth/register/passkey/options): registration's
 * fields and rules, without the password (and the name, which the settings set afterwards).
 */
export class PasskeySignUpDto extends PickType(RegisterDto, ['email', 'username', 'data']) {}
