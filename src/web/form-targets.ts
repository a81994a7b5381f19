import { AppConfig } from '../config/app-config';
import { providerFormOrigins } from '../providers/provider-kinds';

/**
 * Origins the settings page's "Connect" forms end up at after their redirect: each enabled
 * provider's authorization server, as its descriptor says.
 */
export function providerFormTargets(config: AppConfig): string[] {
  return [...new Set(config.providers.flatMap(providerFormOrigins))];
}
