import 'reflect-metadata';
import { runHybridService } from '@lib/messaging';
import { gatewayApp } from './gateway.app';

void runHybridService(gatewayApp);
