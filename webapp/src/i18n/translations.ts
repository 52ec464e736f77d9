/**
 * Translations handed to the host with `registerTranslations`. English is generated from the
 * descriptors' defaults, so the message ids exist in the host dictionary for every locale we ship;
 * other locales fall back to English until a file is added here.
 */
import type {Translations} from 'src/types/registry';

import {messages} from 'src/i18n/messages';

export const en: Translations = Object.fromEntries(
    Object.values(messages).map((descriptor) => [descriptor.id, String(descriptor.defaultMessage)]),
);

const byLocale: Record<string, Translations> = {en};

export function getTranslations(locale: string): Translations {
    return byLocale[locale] ?? byLocale[locale.split('-')[0]] ?? en;
}
