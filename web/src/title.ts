import { t } from './i18n'

/** The tab's title: the page's, then the console's name, as screen readers announce it. */
export function setPageTitle(title: string): void {
  document.title = title ? `${title} · ${t('app.name')}` : t('app.name')
}
