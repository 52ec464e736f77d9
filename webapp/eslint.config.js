// Lint gate for the webapp (`npm run check`): typescript-eslint's type-aware recommended rules,
// React hooks rules, and the project's import habit (absolute `src/` imports, no `../`).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// The bundle runs on the host's React: 17.0.2 on Mattermost 9.x and 10.x. These exist only in React 18.
const REACT_18_ONLY = ['useId', 'useSyncExternalStore', 'useTransition', 'useDeferredValue', 'useInsertionEffect', 'startTransition'];
const REACT_17_HOSTS = 'React 18 only: Mattermost 9.x/10.x hosts run React 17.0.2 (see test/browser/hosts.ts).';

export default tseslint.config(
    {ignores: ['dist/', 'node_modules/', 'test-artifacts/', 'coverage/']},
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname},
        },
        plugins: {'react-hooks': reactHooks},
        rules: {
            ...reactHooks.configs.recommended.rules,
            'no-restricted-imports': ['error', {
                patterns: [{group: ['../*'], message: 'Use absolute src/ imports.'}],
                paths: [
                    {name: 'react', importNames: REACT_18_ONLY, message: REACT_17_HOSTS},
                    {name: 'react-dom/client', message: REACT_17_HOSTS},
                ],
            }],
            'no-restricted-properties': ['error', ...REACT_18_ONLY.map((property) => ({object: 'React', property, message: REACT_17_HOSTS}))],
            '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports'}],
            '@typescript-eslint/no-floating-promises': ['error', {ignoreVoid: true}],
            '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', caughtErrors: 'none'}],
            eqeqeq: 'error',
            curly: 'error',
        },
    },
    {
        files: ['scripts/**/*.mjs', '*.config.js'],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: {
            ...tseslint.configs.disableTypeChecked.languageOptions,
            globals: {process: 'readonly', console: 'readonly'},
        },
    },
    {
        files: ['**/*.test.ts', '**/*.test.tsx', 'test/**'],
        rules: {
            '@typescript-eslint/no-non-null-assertion': 'off',
            '@typescript-eslint/unbound-method': 'off',
        },
    },
);
