import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildInvitationRequestXml, HUDDLE_NAMESPACES, parseHuddleErrorXml } from '../../src/providers/huddle-xml.js';
import { huddleError, parseInvitationRequest } from '../fakes/fake-huddle.js';

describe('buildInvitationRequestXml', () => {
  it('uses the namespaces and prefixes of the seed document, Addresses before Message', () => {
    const xml = buildInvitationRequestXml(['bob@huddle.net', 'andy@huddle.net'], 'O HAI! Join me in my workspace!');
    expect(xml).toContain(`xmlns:i="${HUDDLE_NAMESPACES.instance}"`);
    expect(xml).toContain(`xmlns="${HUDDLE_NAMESPACES.dtos}"`);
    expect(xml).toContain(`xmlns:a="${HUDDLE_NAMESPACES.arrays}"`);
    expect(xml).toMatch(/<InvitationRequest [^>]*>\s*<Addresses>\s*<a:string>bob@huddle.net<\/a:string>\s*<a:string>andy@huddle.net<\/a:string>\s*<\/Addresses>\s*<Message>O HAI! Join me in my workspace!<\/Message>\s*<\/InvitationRequest>/);
    expect(parseInvitationRequest(xml)).toEqual({
      addresses: ['bob@huddle.net', 'andy@huddle.net'],
      message: 'O HAI! Join me in my workspace!',
    });
  });

  it('leaves Message out when there is none', () => {
    const xml = buildInvitationRequestXml(['a@acme.com']);
    expect(xml).not.toContain('Message');
    expect(parseInvitationRequest(xml)).toEqual({ addresses: ['a@acme.com'] });
  });

  it('keeps markup in user text as text', () => {
    const hostile = `</Message><Addresses><a:string>evil@x.com</a:string></Addresses><Message>& "quotes" 'apos' <b>`;
    const xml = buildInvitationRequestXml(['a@acme.com'], hostile);
    expect(xml).not.toContain('<a:string>evil@x.com');
    expect(xml).toContain('&lt;/Message&gt;&lt;Addresses&gt;');
    expect(xml).toContain('&amp; &quot;quotes&quot; &apos;apos&apos;');
    expect(parseInvitationRequest(xml)).toEqual({ addresses: ['a@acme.com'], message: hostile });
  });

  it('carries non-ASCII text unchanged', () => {
    const message = 'Grüße aus Zürich — 欢迎 — مرحبا 👋';
    const xml = buildInvitationRequestXml(['a@acme.com'], message);
    expect(xml).toContain(message);
    expect(new XMLParser({ removeNSPrefix: true }).parse(xml).InvitationRequest.Message).toBe(message);
  });
});

describe('the fake Huddle reader', () => {
  it('rejects what a namespace-aware reader would', () => {
    const good = buildInvitationRequestXml(['a@acme.com']);
    expect(parseInvitationRequest(good.replace(HUDDLE_NAMESPACES.dtos, 'urn:wrong'))).toEqual({
      error: `InvitationRequest must be in namespace ${HUDDLE_NAMESPACES.dtos}`,
    });
    expect(parseInvitationRequest(good.replace(`xmlns:a="${HUDDLE_NAMESPACES.arrays}"`, ''))).toHaveProperty('error');
    expect(parseInvitationRequest('<InvitationRequest><Addresses>')).toEqual({ error: 'The request body is not well-formed XML' });
    const reordered = `<InvitationRequest xmlns="${HUDDLE_NAMESPACES.dtos}" xmlns:a="${HUDDLE_NAMESPACES.arrays}"><Message>x</Message><Addresses><a:string>a@acme.com</a:string></Addresses></InvitationRequest>`;
    expect(parseInvitationRequest(reordered)).toEqual({ error: 'Addresses must come before Message' });
  });

  it('accepts another prefix bound to the same namespace', () => {
    const xml = `<InvitationRequest xmlns="${HUDDLE_NAMESPACES.dtos}" xmlns:arr="${HUDDLE_NAMESPACES.arrays}"><Addresses><arr:string>a@acme.com</arr:string></Addresses></InvitationRequest>`;
    expect(parseInvitationRequest(xml)).toEqual({ addresses: ['a@acme.com'] });
  });
});

describe('parseHuddleErrorXml', () => {
  it('reads the documented 400 and 403 ResponseWrapper bodies', () => {
    expect(parseHuddleErrorXml(huddleError(400, 0, 'I-am-not-an-email-address could not be recognised as an email address').body ?? '')).toEqual({
      code: '0',
      message: 'I-am-not-an-email-address could not be recognised as an email address',
      status: 400,
    });
    const seed403 = `<ResponseWrapper xmlns="http://schemas.datacontract.org/2004/07/Huddle.Client" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
 <Error xmlns:a="http://api.huddle.net/v1/xml">
  <a:Code>1004</a:Code>
  <a:Msg>You are not authorised to call this method</a:Msg>
  <a:PropertyErrors i:nil="true" xmlns:b="http://schemas.microsoft.com/2003/10/Serialization/Arrays"/>
  <a:Status>403</a:Status></Error>
  <Success>false</Success>
</ResponseWrapper>`;
    expect(parseHuddleErrorXml(seed403)).toEqual({ code: '1004', message: 'You are not authorised to call this method', status: 403 });
  });

  it('decodes entities and keeps non-ASCII in messages', () => {
    expect(parseHuddleErrorXml(huddleError(400, 0, 'Müller <m@x> & co could not be recognised').body ?? '')?.message).toBe(
      'Müller <m@x> & co could not be recognised',
    );
  });

  it('reads the ErrorResult sent with 429', () => {
    expect(parseHuddleErrorXml('<ErrorResult><ErrorCode>TooManyRequests</ErrorCode><Message>Slow down</Message></ErrorResult>')).toEqual({
      code: 'TooManyRequests',
      message: 'Slow down',
    });
  });

  it('answers undefined for HTML, JSON, empty and broken bodies', () => {
    for (const body of ['<!DOCTYPE html><html><body><h1>Bad Gateway</h1></body></html>', '{"a":1}', '', '<ResponseWrapper><Error>', '<html><body>x</body></html>']) {
      expect(parseHuddleErrorXml(body)).toBeUndefined();
    }
  });
});
