import 'reflect-metadata';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { MODULE_METADATA, PARAMTYPES_METADATA } from '@nestjs/common/constants';
import { OidcModule } from '../openid/oidc.module';
import { OidcStorageModule } from '../openid/storage/oidc-storage.module';
import { AppSignIns } from './app-sign-ins';
import { AuthModule } from './auth.module';
import { SessionsService } from './sessions/sessions.service';

type ModuleImport =
  Type | DynamicModule | ForwardReference<() => ModuleImport> | Promise<DynamicModule>;

/** The module classes `root` imports, theirs, and so on (`root` included). */
function modulesReachedFrom(root: Type): Set<Type> {
  const reached = new Set<Type>();
  const visit = (entry: ModuleImport | undefined): void => {
    if (!entry || entry instanceof Promise) return;
    if ('forwardRef' in entry) return visit(entry.forwardRef());
    const module = 'module' in entry ? entry.module : entry;
    const dynamicImports = 'module' in entry ? (entry.imports ?? []) : [];
    if (reached.has(module)) return;
    reached.add(module);
    const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, module) ?? []) as ModuleImport[];
    [...imports, ...(dynamicImports as ModuleImport[])].forEach(visit);
  };
  visit(root);
  return reached;
}

/** The classes the modules provide (their class providers and useClass). */
function classesProvidedBy(modules: Iterable<Type>): Set<Type> {
  const classes = new Set<Type>();
  for (const module of modules) {
    const providers = (Reflect.getMetadata(MODULE_METADATA.PROVIDERS, module) ?? []) as Provider[];
    for (const provider of providers) {
      if (typeof provider === 'function') classes.add(provider);
      else if ('useClass' in provider) classes.add(provider.useClass);
    }
  }
  return classes;
}

const openIdModules = [OidcModule, OidcStorageModule];

describe('Sign-in and the OpenID provider', () => {
  // The provider depends on sign-in (sessions, the sign-in page): sign-in depending back on the
  // provider would tie both into one.
  it('sign-in imports neither the provider nor its storage', () => {
    const reached = modulesReachedFrom(AuthModule);
    for (const module of openIdModules) expect(reached).not.toContain(module);
  });

  it("nothing sign-in provides is given one of the provider's classes", () => {
    const openId = classesProvidedBy(openIdModules);
    for (const provider of classesProvidedBy(modulesReachedFrom(AuthModule))) {
      if (openId.has(provider)) continue;
      const needs = (Reflect.getMetadata(PARAMTYPES_METADATA, provider) ?? []) as unknown[];
      const fromOpenId = needs.filter((need) => openId.has(need as Type));
      expect({ provider: provider.name, fromOpenId }).toEqual({
        provider: provider.name,
        fromOpenId: [],
      });
    }
  });

  it('sessions end what the apps hold through AppSignIns, which the provider answers', () => {
    expect(Reflect.getMetadata(PARAMTYPES_METADATA, SessionsService)).toContain(AppSignIns);
    const exported = (Reflect.getMetadata(MODULE_METADATA.EXPORTS, OidcStorageModule) ??
      []) as unknown[];
    expect(exported).toContain(AppSignIns);
  });
});
