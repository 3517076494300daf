/**
 * The YAML parser reports nesting deeper than the stack allows as a stack overflow, and alias bombs
 * as a resource attack; both are refused before any value is built. The message should say which
 * limit a file hit, in the user's words.
 */
export function yamlLimitReason(message: string): string | undefined {
  if (message.includes('Maximum call stack size exceeded')) return 'YAML nested too deeply to read';
  if (message.includes('Excessive alias count')) {
    return 'YAML expands aliases (*name) too many times; write the values out';
  }
  return undefined;
}
