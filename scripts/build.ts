// `npm run build`: every publishable package compiled to dist/ (the repo itself runs sources).
import { buildPackages } from './packages.ts';

buildPackages();
