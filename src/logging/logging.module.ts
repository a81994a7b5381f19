import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { LOG_DESTINATION, loggerOptions } from './logger.options';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [{ provide: LOG_DESTINATION, useValue: undefined }],
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: loggerOptions,
    }),
  ],
})
export class LoggingModule {}
