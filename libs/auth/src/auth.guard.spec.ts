import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ProblemDetailsFilter } from '@lib/platform';
import request from 'supertest';
import { AuthModule } from './auth.module';
import { CurrentUser, Public, Roles } from './decorators';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, signDevToken } from './jwt';
import type { AuthUser } from './roles';

const secret = 'guard-test-secret-that-is-long-enough-000';

@Controller('things')
class ThingsController {
  @Get('open')
  @Public()
  open() {
    return { open: true };
  }

  @Get('mine')
  mine(@CurrentUser() user: AuthUser, @CurrentUser('sub') sub: string) {
    return { user, sub };
  }

  @Get('admin')
  @Roles('admin', 'treasurer')
  admin(@CurrentUser('roles') roles: string[]) {
    return { roles };
  }
}

@Controller('staff')
@Roles('reviewer')
class StaffController {
  @Get()
  list() {
    return { ok: true };
  }

  @Get('health')
  @Public()
  health() {
    return { ok: true };
  }
}

describe('AuthGuard (global) with @Public, @Roles and @CurrentUser', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.register({
          jwt: { hs256Secret: secret, issuer: DEV_TOKEN_ISSUER, audience: DEV_TOKEN_AUDIENCE },
        }),
      ],
      controllers: [ThingsController, StaffController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  const token = (roles: AuthUser['roles'], ttl: number | string = '1h', now?: Date) =>
    signDevToken({ sub: 'ada.near', roles, name: 'Ada', ttl }, secret, { now });
  const get = (path: string, bearer?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return bearer === undefined ? req : req.set('Authorization', bearer);
  };

  it('lets anyone reach a @Public route', async () => {
    await get('/things/open').expect(200, { open: true });
    await get('/staff/health').expect(200);
  });

  it('answers 401 token_missing without a token, as problem+json', async () => {
    const res = await get('/things/mine').expect(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'token_missing' });
  });

  it('answers 401 token_invalid for a malformed header or a bad token', async () => {
    expect((await get('/things/mine', 'Basic abc').expect(401)).body.code).toBe('token_invalid');
    expect((await get('/things/mine', 'Bearer nope').expect(401)).body.code).toBe('token_invalid');
    const forged = await signDevToken(
      { sub: 'x', roles: ['admin'], ttl: '1h' },
      `${secret}-forged`,
    );
    expect((await get('/things/admin', `Bearer ${forged}`).expect(401)).body.code).toBe(
      'token_invalid',
    );
  });

  it('answers 401 token_expired for an expired token', async () => {
    const expired = await token(['founder'], 60, new Date(Date.now() - 3_600_000));
    expect((await get('/things/mine', `Bearer ${expired}`).expect(401)).body.code).toBe(
      'token_expired',
    );
  });

  it('attaches the caller as request.user', async () => {
    const res = await get('/things/mine', `Bearer ${await token(['founder'])}`).expect(200);
    expect(res.body).toEqual({
      user: { sub: 'ada.near', roles: ['founder'], name: 'Ada', issuer: DEV_TOKEN_ISSUER },
      sub: 'ada.near',
    });
  });

  it('enforces @Roles on handlers (any of the listed roles) with 403 role_required', async () => {
    const founder = await get('/things/admin', `Bearer ${await token(['founder'])}`).expect(403);
    expect(founder.body).toMatchObject({ status: 403, code: 'role_required' });
    await get('/things/admin', `Bearer ${await token(['treasurer'])}`).expect(200, {
      roles: ['treasurer'],
    });
  });

  it('enforces @Roles on controllers', async () => {
    await get('/staff', `Bearer ${await token(['admin'])}`).expect(403);
    await get('/staff', `Bearer ${await token(['reviewer'])}`).expect(200);
  });
});
