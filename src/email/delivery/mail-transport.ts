import { Inject, Injectable, Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { AppConfig } from '../../platform/config/app-config';
import { EmailConfig, emailConfig } from '../email-config';

export interface OutgoingMail {
  /** Stable for the message: its Message-ID, so a repeated delivery can be recognised. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A delivery refused for good (the server rejected the recipient or the message): no retry helps. */
export function isPermanentFailure(error: unknown): boolean {
  const { responseCode, command, code } = (error ?? {}) as {
    responseCode?: number;
    command?: string;
    code?: string;
  };
  if (code === 'EENVELOPE') return true;
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    ['RCPT TO', 'DATA'].includes(command ?? '')
  );
}

/**
 * Hands messages to the SMTP server of SMTP_URL. Without it (development, tests), writes each one
 * as an .eml file to MAIL_OUTBOX_DIR and logs its links, so a developer can open them.
 */
@Injectable()
export class MailTransport {
  private readonly logger = new Logger('Mail');
  private readonly transporter: Transporter;
  private readonly directory?: string;
  private readonly from: string;
  private readonly messageIdHost: string;

  constructor(config: AppConfig, @Inject(emailConfig.KEY) email: EmailConfig) {
    this.from = email.mailFrom;
    this.messageIdHost = new URL(config.publicUrl).hostname;
    if (email.SMTP_URL) {
      this.transporter = nodemailer.createTransport({
        url: email.SMTP_URL,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
    } else {
      this.directory = resolve(email.MAIL_OUTBOX_DIR);
      this.transporter = nodemailer.createTransport({ streamTransport: true, buffer: true });
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info = (await this.transporter.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.id}@${this.messageIdHost}>`,
    })) as { message?: Buffer };
    if (this.directory && info.message) {
      await mkdir(this.directory, { recursive: true });
      const file = join(this.directory, `${mail.id}.eml`);
      await writeFile(file, info.message);
      // Development only (no SMTP_URL): the links are what a developer needs to go on.
      const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
      this.logger.log({ to: mail.to, subject: mail.subject, file, links }, 'Mail written');
    }
  }

  /** Closes the connection to the SMTP server; MailRelay calls it once its last delivery is over. */
  close(): void {
    this.transporter.close();
  }
}
