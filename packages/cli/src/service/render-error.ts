/** A value the unit/plist cannot express (a control character, a quote in systemd's executable path...). */
export class ServiceRenderError extends Error {
  override readonly name = 'ServiceRenderError';
}
