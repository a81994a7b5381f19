import { Injectable } from '@nestjs/common';
import hbs from 'hbs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../platform/config/app-config';

/** Every kind of message, with what its template needs. */
export interface MailKinds {
  /** Registration: confirm the address. */
  'verify-email': { link: string; hours: number };
  /** An email change: confirm the new address (sent to it) for the account `username`. */
  'confirm-new-email': { link: string; email: string; username: string; hours: number };
  /** An email change was asked for (sent to the old address), with a way to cancel it. */
  'email-change-started': { newEmail: string; cancelLink: string };
  /** The email was changed (sent to the old address). */
  'email-changed': { newEmail: string };
  /** A recovery link; `hasPassword` false: it sets a first password. */
  'password-reset': { link: string; minutes: number; hasPassword: boolean };
  'password-notice': { action: 'set' | 'changed' | 'removed' | 'reset' };
  'provider-notice': { provider: string; action: 'connected' | 'disconnected' };
  'passkey-notice': { name: string; action: 'added' | 'removed' };
  'sign-in-locked': { recoveryLink: string };
  'account-deleted': Record<string, never>;
}
export type MailKind = keyof MailKinds;

const SUBJECTS: Record<MailKind, string> = {
  'verify-email': 'Confirm your email address',
  'confirm-new-email': 'Confirm your new email address',
  'email-change-started': 'Your email address is about to change',
  'email-changed': 'Your email address was changed',
  'password-reset': 'Reset your password',
  'password-notice': 'Your password was {{action}}',
  'provider-notice': '{{provider}} was {{action}}',
  'passkey-notice': 'A passkey was {{action}}',
  'sign-in-locked': 'Signing in to your account is locked',
  'account-deleted': 'Your account was deleted',
};

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Template = (data: object) => string;

/**
 * The messages' plain-text and HTML bodies, from views/mail/<kind>.txt.hbs and .html.hbs inside
 * views/mail/layout.*.hbs, compiled once at start-up. Every message names the service (APP_NAME).
 */
@Injectable()
export class MailTemplates {
  private readonly templates = new Map<string, Template>();
  private readonly appName: string;

  constructor(config: AppConfig) {
    this.appName = config.APP_NAME;
    const directory = join(__dirname, '..', '..', '..', 'views', 'mail');
    // HTML is escaped as in the pages; text is not (it is not HTML).
    const { compile } = hbs.handlebars;
    const read = (file: string) => readFileSync(join(directory, file), 'utf8');
    for (const kind of [...Object.keys(SUBJECTS), 'layout']) {
      this.templates.set(`${kind}.html`, compile(read(`${kind}.html.hbs`), { strict: true }));
      this.templates.set(
        `${kind}.txt`,
        compile(read(`${kind}.txt.hbs`), { noEscape: true, strict: true }),
      );
    }
    for (const [kind, subject] of Object.entries(SUBJECTS)) {
      this.templates.set(`${kind}.subject`, compile(subject, { noEscape: true, strict: true }));
    }
  }

  render<K extends MailKind>(kind: K, data: MailKinds[K]): RenderedMail {
    const model = { ...data, appName: this.appName };
    const subject = `${this.template(`${kind}.subject`)(model)} · ${this.appName}`;
    const body = (format: 'html' | 'txt') =>
      this.template(`layout.${format}`)({
        ...model,
        subject,
        body: this.template(`${kind}.${format}`)(model).trim(),
      });
    return { subject, text: body('txt'), html: body('html') };
  }

  private template(name: string): Template {
    const template = this.templates.get(name);
    if (!template) throw new Error(`No mail template ${name}`);
    return template;
  }
}
