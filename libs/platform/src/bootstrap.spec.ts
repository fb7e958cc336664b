import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { startServiceApp } from './bootstrap';

const events: string[] = [];
let httpListening: () => boolean = () => false;

/** Stands in for a migration: a slow init hook. */
@Injectable()
class SlowMigration implements OnModuleInit {
  async onModuleInit(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.push('migrated');
  }
}

@Module({ providers: [SlowMigration] })
class TestModule {}

/** Stands in for the Kafka consumers: notes when Nest starts them. */
class ProbeTransport extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    events.push(`consumers started (HTTP listening: ${httpListening()})`);
    callback();
  }
  close(): void {}
  on(): void {}
  unwrap<T>(): T {
    return undefined as T;
  }
}

describe('startServiceApp', () => {
  it('runs the init hooks (migrations) before it starts the consumers, and HTTP last', async () => {
    const app = await NestFactory.create(TestModule, { logger: false });
    app.connectMicroservice({ strategy: new ProbeTransport() });
    httpListening = () => (app.getHttpServer() as { listening: boolean }).listening;
    try {
      await startServiceApp(app, 0);
      expect(events).toEqual(['migrated', 'consumers started (HTTP listening: false)']);
      expect(httpListening()).toBe(true);
    } finally {
      await app.close();
    }
  });
});
