import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import {
  createRequestLogger,
  LOG_DESTINATION,
  loggerParams,
  REQUEST_LOGGER,
} from './logger.options';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [
        { provide: LOG_DESTINATION, useValue: undefined },
        {
          provide: REQUEST_LOGGER,
          inject: [AppConfig, LOG_DESTINATION],
          useFactory: createRequestLogger,
        },
      ],
      inject: [REQUEST_LOGGER],
      useFactory: loggerParams,
    }),
  ],
})
export class LoggingModule {}
