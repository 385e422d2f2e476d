// Module resolve hook: when a bare import (`express`) is not found from the app's own folder,
// resolve it from the course's root instead.
const courseRoot = new URL('../../package.json', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
    if (!bare || error?.code !== 'ERR_MODULE_NOT_FOUND' || context.parentURL === courseRoot) throw error;
    return nextResolve(specifier, { ...context, parentURL: courseRoot });
  }
}
